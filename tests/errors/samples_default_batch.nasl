space s { layer { relu } }
search reinforce { samples: 4 }
