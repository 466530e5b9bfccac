from waterfall.cli import main

raise SystemExit(main())
