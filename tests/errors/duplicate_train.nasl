space s { layer { relu } }
train { epochs: 1 }
train { epochs: 2 }
