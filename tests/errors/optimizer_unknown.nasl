space s { layer { relu } }
train { optimizer: sdg(lr: 0.1) }
