space s { layers 2 { either { relu; inputs: anchor } or { tanh } } }
