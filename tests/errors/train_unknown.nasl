space s { layer { relu } }
train { epoch: 3; batchsize: 2 }
