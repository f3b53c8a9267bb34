import sys

from clearlive.cli.main import main

sys.exit(main())
