space s { layers 2 { relu; input: anchor } }
