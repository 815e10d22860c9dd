space s { layer { either relu_2: { tanh } or { relu } or { relu } } }
