space a { layer { relu } }
space b { layer { tanh } }
