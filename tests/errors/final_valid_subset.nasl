space s { layer { relu } }
train { subset: 8000; valid: 2000 }
final { subset: 4000; valid: 5000 }
