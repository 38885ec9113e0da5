"""`python -m giltracer …`: replaces this Python with the giltracer binary (exec), so signals and the exit code are the binary's."""
from giltracer import main

main()
