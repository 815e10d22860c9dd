space s { layer { relu } }
search reinforce { batch: 16; samples: 10 }
