"""Text templates for seeded tickets and messages, in English, Italian, Spanish, French and German.

The seeder composes a pool of distinct descriptions per (category, language) and of
message bodies per (language, role) once, then draws from the pools with numpy:
composing every text row by row would cost more than loading it. Texts never contain
tabs, newlines or backslashes, so they go into a COPY text stream unescaped.
"""

from __future__ import annotations

import numpy as np

from campusdesk_common.vocabulary import Category, Role

LANGUAGES = ("en", "it", "es", "fr", "de")
# Most requests at an international university are in English.
LANGUAGE_WEIGHTS = (0.56, 0.14, 0.10, 0.10, 0.10)

# category -> language -> (problems with a {place}, places, optional extra sentences)
_TEMPLATES: dict[Category, dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]]] = {
    "facility_management": {
        "en": (
            (
                "The heating in {place} is not working and it is freezing.",
                "There is water leaking from the ceiling in {place}.",
                "Several lights in {place} are flickering or broken.",
                "The door of {place} does not lock any more.",
                "The lift next to {place} has been stuck for hours.",
                "The toilets near {place} are blocked and smell terrible.",
                "A window in {place} is broken and will not close.",
                "The air conditioning in {place} is far too loud.",
                "Chairs and desks in {place} are broken and nobody has replaced them.",
                "The floor in {place} has not been cleaned for a week.",
                "There is a strong smell of gas near {place}.",
                "The power sockets in {place} have no electricity.",
                "Mice have been seen in {place}.",
                "The blinds in {place} are stuck and the sun makes the room unusable.",
            ),
            (
                "room B-214",
                "lecture hall A",
                "the library reading room",
                "the chemistry lab",
                "the second floor of building C",
                "the student lounge",
                "the main entrance",
                "seminar room 3.12",
                "the gym changing rooms",
                "the dormitory block D",
                "the cafeteria kitchen",
                "the physics building",
            ),
            (
                "Please send someone as soon as possible.",
                "We have a lecture there tomorrow morning.",
                "I already reported this last week.",
                "It is getting worse every day.",
                "Students are complaining about it.",
                "",
            ),
        ),
        "it": (
            (
                "Il riscaldamento in {place} non funziona e fa molto freddo.",
                "C'è una perdita d'acqua dal soffitto in {place}.",
                "Le luci in {place} sono rotte o lampeggiano.",
                "La porta di {place} non si chiude più a chiave.",
                "L'ascensore vicino a {place} è bloccato da ore.",
                "I bagni vicino a {place} sono intasati.",
                "Una finestra in {place} è rotta e non si chiude.",
                "Le sedie in {place} sono rotte da settimane.",
                "Le prese elettriche in {place} non funzionano.",
            ),
            (
                "l'aula B-214",
                "l'aula magna",
                "la sala lettura della biblioteca",
                "il laboratorio di chimica",
                "il secondo piano dell'edificio C",
                "la mensa",
                "l'ingresso principale",
                "lo studentato D",
            ),
            (
                "Per favore intervenite al più presto.",
                "Domani mattina abbiamo lezione lì.",
                "L'ho già segnalato la settimana scorsa.",
                "",
            ),
        ),
        "es": (
            (
                "La calefacción en {place} no funciona y hace mucho frío.",
                "Hay una gotera en el techo de {place}.",
                "Las luces de {place} parpadean o están fundidas.",
                "La puerta de {place} ya no cierra con llave.",
                "El ascensor junto a {place} lleva horas atascado.",
                "Los baños cerca de {place} están atascados.",
                "Una ventana de {place} está rota y no cierra.",
                "Los enchufes de {place} no tienen corriente.",
            ),
            (
                "el aula B-214",
                "el salón de actos",
                "la sala de lectura de la biblioteca",
                "el laboratorio de química",
                "la segunda planta del edificio C",
                "la cafetería",
                "la entrada principal",
                "la residencia D",
            ),
            (
                "Por favor, envíen a alguien cuanto antes.",
                "Mañana tenemos clase allí.",
                "Ya lo avisé la semana pasada.",
                "",
            ),
        ),
        "fr": (
            (
                "Le chauffage dans {place} ne fonctionne pas et il fait très froid.",
                "Il y a une fuite d'eau au plafond dans {place}.",
                "Les lumières de {place} clignotent ou sont grillées.",
                "La porte de {place} ne ferme plus à clé.",
                "L'ascenseur près de {place} est bloqué depuis des heures.",
                "Les toilettes près de {place} sont bouchées.",
                "Une fenêtre de {place} est cassée et ne ferme plus.",
                "Les prises électriques de {place} ne marchent pas.",
            ),
            (
                "la salle B-214",
                "l'amphithéâtre A",
                "la salle de lecture de la bibliothèque",
                "le laboratoire de chimie",
                "le deuxième étage du bâtiment C",
                "la cafétéria",
                "l'entrée principale",
                "la résidence D",
            ),
            (
                "Merci d'envoyer quelqu'un rapidement.",
                "Nous avons cours là-bas demain matin.",
                "Je l'ai déjà signalé la semaine dernière.",
                "",
            ),
        ),
        "de": (
            (
                "Die Heizung in {place} funktioniert nicht und es ist eiskalt.",
                "In {place} tropft Wasser von der Decke.",
                "Die Lampen in {place} flackern oder sind kaputt.",
                "Die Tür von {place} lässt sich nicht mehr abschließen.",
                "Der Aufzug neben {place} steckt seit Stunden fest.",
                "Die Toiletten bei {place} sind verstopft.",
                "Ein Fenster in {place} ist kaputt und schließt nicht.",
                "Die Steckdosen in {place} haben keinen Strom.",
            ),
            (
                "Raum B-214",
                "Hörsaal A",
                "dem Lesesaal der Bibliothek",
                "dem Chemielabor",
                "dem zweiten Stock von Gebäude C",
                "der Mensa",
                "dem Haupteingang",
                "Wohnheim D",
            ),
            (
                "Bitte schicken Sie so schnell wie möglich jemanden.",
                "Wir haben dort morgen früh eine Vorlesung.",
                "Ich habe das schon letzte Woche gemeldet.",
                "",
            ),
        ),
    },
    "technical_it": {
        "en": (
            (
                "I cannot connect to the eduroam wifi in {place}.",
                "My university email account is locked after a password reset.",
                "The printer in {place} says it is offline.",
                "The projector in {place} does not detect my laptop over HDMI.",
                "The VPN client fails with an authentication error since this morning.",
                "Moodle shows an internal error when I upload my assignment.",
                "I did not receive the two-factor code to log in to the student portal.",
                "The computers in {place} are extremely slow and freeze.",
                "My Office licence expired although I am still enrolled.",
                "Teams keeps disconnecting during lectures in {place}.",
                "I forgot my password and the reset link does not arrive.",
                "The shared drive of my department is not accessible.",
                "The exam registration page times out when I submit.",
                "My laptop cannot find the network printer in {place}.",
            ),
            (
                "room B-214",
                "lecture hall A",
                "the library",
                "the computer lab",
                "building C",
                "the student lounge",
                "seminar room 3.12",
                "the dormitory block D",
            ),
            (
                "I need it for an exam this week.",
                "Restarting did not help.",
                "My colleagues have the same problem.",
                "The error code is 0x80070005.",
                "It worked fine yesterday.",
                "",
            ),
        ),
        "it": (
            (
                "Non riesco a collegarmi al wifi eduroam in {place}.",
                "Il mio account di posta universitaria è bloccato.",
                "La stampante in {place} risulta offline.",
                "Il proiettore in {place} non riconosce il mio portatile.",
                "La VPN dà un errore di autenticazione da stamattina.",
                "Moodle dà errore quando carico il compito.",
                "Non ricevo il codice di verifica per accedere al portale studenti.",
                "I computer in {place} sono lentissimi.",
            ),
            ("l'aula B-214", "l'aula magna", "la biblioteca", "il laboratorio informatico", "l'edificio C"),
            ("Mi serve per un esame questa settimana.", "Riavviare non è servito.", ""),
        ),
        "es": (
            (
                "No puedo conectarme al wifi eduroam en {place}.",
                "Mi cuenta de correo de la universidad está bloqueada.",
                "La impresora de {place} aparece desconectada.",
                "El proyector de {place} no detecta mi portátil.",
                "La VPN da un error de autenticación desde esta mañana.",
                "Moodle da un error al subir mi trabajo.",
                "No recibo el código de verificación para entrar en el portal.",
                "Los ordenadores de {place} van lentísimos.",
            ),
            ("el aula B-214", "el salón de actos", "la biblioteca", "el aula de informática", "el edificio C"),
            ("Lo necesito para un examen esta semana.", "Reiniciar no sirvió de nada.", ""),
        ),
        "fr": (
            (
                "Je n'arrive pas à me connecter au wifi eduroam dans {place}.",
                "Mon compte de messagerie universitaire est bloqué.",
                "L'imprimante de {place} est hors ligne.",
                "Le vidéoprojecteur de {place} ne détecte pas mon ordinateur.",
                "Le VPN affiche une erreur d'authentification depuis ce matin.",
                "Moodle affiche une erreur quand je dépose mon devoir.",
                "Je ne reçois pas le code de vérification pour le portail étudiant.",
                "Les ordinateurs de {place} sont très lents.",
            ),
            ("la salle B-214", "l'amphithéâtre A", "la bibliothèque", "la salle informatique", "le bâtiment C"),
            ("J'en ai besoin pour un examen cette semaine.", "Redémarrer n'a rien changé.", ""),
        ),
        "de": (
            (
                "Ich kann mich in {place} nicht mit dem eduroam-WLAN verbinden.",
                "Mein Uni-Mailkonto ist gesperrt.",
                "Der Drucker in {place} ist offline.",
                "Der Beamer in {place} erkennt meinen Laptop nicht.",
                "Das VPN meldet seit heute Morgen einen Anmeldefehler.",
                "Moodle zeigt einen Fehler beim Hochladen meiner Abgabe.",
                "Ich bekomme keinen Bestätigungscode für das Studierendenportal.",
                "Die Rechner in {place} sind extrem langsam.",
            ),
            ("Raum B-214", "Hörsaal A", "der Bibliothek", "dem Rechnerraum", "Gebäude C"),
            ("Ich brauche es für eine Prüfung diese Woche.", "Ein Neustart hat nicht geholfen.", ""),
        ),
    },
    "services_complaints": {
        "en": (
            (
                "The staff at {place} were rude when I asked for help.",
                "The opening hours of {place} are far too short during exams.",
                "I was charged twice for my tuition fee instalment.",
                "The queue at {place} takes more than an hour every day.",
                "My enrolment certificate still has not been issued after three weeks.",
                "The food at {place} was cold and overpriced.",
                "Nobody answers the phone at {place}.",
                "My exam grade has not been recorded although the deadline has passed.",
                "The timetable changed without any notice to students.",
                "I was refused a study room booking at {place} without explanation.",
                "The scholarship payment is two months late.",
                "The information at {place} contradicts what the website says.",
            ),
            (
                "the registrar's office",
                "the library desk",
                "the cafeteria",
                "the international office",
                "the student services centre",
                "the examination office",
                "the accommodation office",
            ),
            (
                "This is not acceptable.",
                "I would like a written answer.",
                "Other students have had the same experience.",
                "Please look into this.",
                "",
            ),
        ),
        "it": (
            (
                "Il personale di {place} è stato scortese con me.",
                "Gli orari di apertura di {place} sono troppo brevi durante gli esami.",
                "Mi è stata addebitata due volte la rata delle tasse.",
                "La coda a {place} dura più di un'ora.",
                "Il certificato di iscrizione non è ancora stato emesso.",
                "Nessuno risponde al telefono di {place}.",
            ),
            ("la segreteria studenti", "il banco prestiti della biblioteca", "la mensa", "l'ufficio internazionale"),
            ("Non è accettabile.", "Vorrei una risposta scritta.", ""),
        ),
        "es": (
            (
                "El personal de {place} fue maleducado conmigo.",
                "El horario de {place} es demasiado corto en época de exámenes.",
                "Me han cobrado dos veces el plazo de la matrícula.",
                "La cola en {place} dura más de una hora.",
                "Mi certificado de matrícula aún no se ha emitido.",
                "Nadie contesta el teléfono en {place}.",
            ),
            ("la secretaría", "el mostrador de la biblioteca", "la cafetería", "la oficina internacional"),
            ("No es aceptable.", "Quisiera una respuesta por escrito.", ""),
        ),
        "fr": (
            (
                "Le personnel de {place} a été désagréable avec moi.",
                "Les horaires de {place} sont trop courts pendant les examens.",
                "On m'a prélevé deux fois les frais d'inscription.",
                "La file d'attente à {place} dure plus d'une heure.",
                "Mon certificat de scolarité n'a toujours pas été délivré.",
                "Personne ne répond au téléphone à {place}.",
            ),
            ("la scolarité", "l'accueil de la bibliothèque", "la cafétéria", "le bureau des relations internationales"),
            ("Ce n'est pas acceptable.", "Je souhaite une réponse écrite.", ""),
        ),
        "de": (
            (
                "Die Mitarbeiter im {place} waren unfreundlich zu mir.",
                "Die Öffnungszeiten im {place} sind in der Prüfungszeit viel zu kurz.",
                "Mir wurde der Semesterbeitrag doppelt abgebucht.",
                "Die Schlange im {place} dauert über eine Stunde.",
                "Meine Immatrikulationsbescheinigung wurde immer noch nicht ausgestellt.",
                "Im {place} geht niemand ans Telefon.",
            ),
            ("Studierendensekretariat", "Prüfungsamt", "International Office", "Servicezentrum"),
            ("Das ist nicht akzeptabel.", "Ich bitte um eine schriftliche Antwort.", ""),
        ),
    },
}

# language -> role -> message sentences
_MESSAGES: dict[str, dict[Role, tuple[str, ...]]] = {
    "en": {
        "user": (
            "Thank you, it works again.",
            "Any update on this?",
            "The problem is still there this morning.",
            "I attached a photo of the problem.",
            "I will be there until 5 pm if someone can come.",
            "It happened again just now.",
            "Thanks for the quick help!",
            "Could you tell me when this will be fixed?",
        ),
        "helpdesk": (
            "Thank you for your report, we are looking into it.",
            "A technician has been scheduled for tomorrow morning.",
            "Could you tell us the exact room number?",
            "We have fixed the issue, please check and let us know.",
            "This has been forwarded to the responsible team.",
            "Please try again now and tell us if the problem persists.",
            "We are waiting for a spare part.",
            "We are closing this ticket; reply if you need anything else.",
        ),
    },
    "it": {
        "user": ("Grazie, ora funziona.", "Ci sono novità?", "Il problema persiste.", "È successo di nuovo."),
        "helpdesk": (
            "Grazie per la segnalazione, ce ne stiamo occupando.",
            "Un tecnico passerà domani mattina.",
            "Abbiamo risolto, può verificare?",
            "Abbiamo inoltrato la richiesta all'ufficio competente.",
        ),
    },
    "es": {
        "user": ("Gracias, ya funciona.", "¿Hay novedades?", "El problema sigue.", "Ha vuelto a pasar."),
        "helpdesk": (
            "Gracias por el aviso, lo estamos revisando.",
            "Un técnico pasará mañana por la mañana.",
            "Lo hemos solucionado, ¿puede comprobarlo?",
            "Hemos enviado la solicitud al departamento responsable.",
        ),
    },
    "fr": {
        "user": ("Merci, ça marche.", "Des nouvelles ?", "Le problème persiste.", "C'est encore arrivé."),
        "helpdesk": (
            "Merci pour votre signalement, nous nous en occupons.",
            "Un technicien passera demain matin.",
            "C'est réparé, pouvez-vous vérifier ?",
            "Nous avons transmis la demande au service concerné.",
        ),
    },
    "de": {
        "user": (
            "Danke, es geht wieder.",
            "Gibt es Neuigkeiten?",
            "Das Problem besteht weiter.",
            "Es ist wieder passiert.",
        ),
        "helpdesk": (
            "Danke für die Meldung, wir kümmern uns darum.",
            "Ein Techniker kommt morgen früh vorbei.",
            "Wir haben es behoben, bitte prüfen Sie es.",
            "Wir haben die Anfrage an die zuständige Stelle weitergeleitet.",
        ),
    },
}


def description_pool(category: Category, language: str, size: int, rng: np.random.Generator) -> list[str]:
    """Up to `size` distinct descriptions of `category` in `language`."""
    problems, places, extras = _TEMPLATES[category][language]
    draws = size * 4
    problem = rng.integers(len(problems), size=draws).tolist()
    place = rng.integers(len(places), size=draws).tolist()
    extra = rng.integers(len(extras), size=draws).tolist()
    second = rng.integers(len(extras), size=draws).tolist()
    pool: dict[str, None] = {}
    for i in range(draws):
        text = problems[problem[i]].format(place=places[place[i]])
        first_extra, second_extra = extras[extra[i]], extras[second[i]]
        if first_extra:
            text = f"{text} {first_extra}"
        if second_extra and second_extra != first_extra:
            text = f"{text} {second_extra}"
        pool[text] = None
        if len(pool) == size:
            break
    return list(pool)


def message_pool(language: str, role: Role, rng: np.random.Generator, size: int = 64) -> list[str]:
    """Up to `size` distinct message bodies written by `role` in `language`."""
    sentences = _MESSAGES[language][role]
    pool: dict[str, None] = dict.fromkeys(sentences)
    attempts = 0
    while len(pool) < size and attempts < size * 4:
        attempts += 1
        first, second = rng.choice(len(sentences), size=2, replace=False)
        pool[f"{sentences[int(first)]} {sentences[int(second)]}"] = None
    return list(pool)
