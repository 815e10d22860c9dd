space s { layer { relu } }
final { top: 2 }
final { epochs: 3 }
