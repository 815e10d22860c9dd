import "no/such/file.nasl"
space s { layer { relu } }
