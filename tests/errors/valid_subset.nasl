space s { layer { relu } }
train { subset: 2000; valid: 5000 }
