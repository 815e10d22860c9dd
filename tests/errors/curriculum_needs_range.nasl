space s { layers 6 grow 2 every 100 { relu } }
