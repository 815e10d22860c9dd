space s { layer { relu } }
search reinforce { samples: 9007199254740993 }
