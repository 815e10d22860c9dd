space s { layer { relu } }
train { optimizer: adam(lr: 0.1, momentum: 0.9) }
