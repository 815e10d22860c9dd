space s { layer { relu } }
train { subset: 1000 }
