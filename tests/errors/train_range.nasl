space s { layer { relu } }
train { epochs: 0; valid: -5 }
