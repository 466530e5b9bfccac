from waterfall.cli import console_main

console_main()
