op swish : activaton
space s { layer { relu } }
