space s { layers 5..2 { relu } }
