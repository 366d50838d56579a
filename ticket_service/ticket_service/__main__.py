from ticket_service.cli import main

main()
