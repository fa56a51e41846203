"""Workshop kits for trainers: chosen sections and passages become a handout (PDF, DOCX),
slides (PPTX) and a quiz (Moodle XML), every line cited. Built on the index and answer
layers; the web app and ``python -m workshop`` are thin layers over it."""
