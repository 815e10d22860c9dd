space s { layer { relu } }
final { bptt: 35 }
