space s { layer { relu } }
search reinforse { samples: 10 }
