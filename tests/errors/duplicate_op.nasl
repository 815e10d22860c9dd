op relu : activation
space s { layer { relu } }
