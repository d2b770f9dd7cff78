#include "textflag.h"

// func asmCallsSplittable()
TEXT ·asmCallsSplittable(SB), NOSPLIT, $16-0
	MOVQ $5, AX
	CALL ·splittable(SB)
	RET
