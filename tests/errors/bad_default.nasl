op scale(k: int in 1..4 = 9) : layer
space s { layer { relu } }
