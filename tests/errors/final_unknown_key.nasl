space s { layer { relu } }
final { topp: 2 }
