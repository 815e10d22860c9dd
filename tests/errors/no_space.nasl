train { epochs: 3 }
