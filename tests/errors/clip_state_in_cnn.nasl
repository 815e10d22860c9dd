space s { layer { relu } }
train { epochs: 2; clip_state: 25 }
