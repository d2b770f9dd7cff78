/* hello: the smallest static musl program: prints a greeting, its
 * arguments and whether it has an environment, exits 0. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	printf("hello from musl C\n");
	for (int i = 1; i < argc; i++)
		printf("argv[%d] = %s\n", i, argv[i]);
	printf("PATH=%s\n", getenv("PATH") ? getenv("PATH") : "(unset)");
	return 0;
}
