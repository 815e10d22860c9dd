space s { layers 2 { relu; inputs: all } }
