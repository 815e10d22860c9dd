# std.nasl: the standard library, loaded before every .nasl file.
# Each operation is declared once here, with its parameters, their types,
# ranges and defaults, and one line of documentation; nasl-stdlib(7) lists
# them all. The runtime implements each under the same name.
import "layers.nasl"
import "activations.nasl"
import "cells.nasl"
import "internal.nasl"
