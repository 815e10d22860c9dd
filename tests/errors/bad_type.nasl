op scale(k: integer = 1) : layer
space s { layer { relu } }
