space s { layers 2 { relu; inputs: anchor; inputs: previous } }
