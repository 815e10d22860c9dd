space s { layers 2..6 grow 2 every 500 { relu } }
search reinforce { samples: 400 }
