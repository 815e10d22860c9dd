space s { layers 10m { relu } }
