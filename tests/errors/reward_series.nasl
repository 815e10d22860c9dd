space s { layer { relu } }
search reinforce { reward: valid_accuracy ^ 3 }
