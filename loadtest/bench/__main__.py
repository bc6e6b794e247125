from loadtest.bench.run import main

if __name__ == "__main__":  # load processes are spawned and re-import this module
    main()
