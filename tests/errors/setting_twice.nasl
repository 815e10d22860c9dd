space s { layer { relu } }
search random { samples: 10; samples: 20 }
