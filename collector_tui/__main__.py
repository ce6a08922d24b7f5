from collector_tui.cli import main

main()
