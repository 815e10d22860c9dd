space s { layer { relu } }
search reinforce { reward: maximum(valid_accuracy, last: 5) }
