from ticket_service_tools.cli import main

main()
