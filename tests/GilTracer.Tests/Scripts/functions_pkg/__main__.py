import sys
from . import helper
from .helper import greet

print(helper.greet("pkg"), __name__, __package__, sys.argv[1:])
sys.exit(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
