space s { layers 99999999999999999999 { relu } }
