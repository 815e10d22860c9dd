space s { layer { relu } }
final { top: 0 }
