import "lib.nasl
space s { layer { relu } }
