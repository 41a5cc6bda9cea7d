"""``python -m core.cli``: the chosync command without the installed script."""

from core.cli import main

main()
