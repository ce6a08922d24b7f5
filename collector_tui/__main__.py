from collector_tui.launch import main

if __name__ == "__main__":  # a spawned helper process may import this module: run only when executed
    main()
