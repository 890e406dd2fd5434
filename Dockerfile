FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
# WeasyPrint (the casebook PDF) needs Pango; fonts-noto-cjk prints Chinese text
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
        fonts-dejavu-core fonts-noto-cjk gettext \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
RUN useradd --create-home trialsite && mkdir -p /app/var && chown -R trialsite /app/var
# the Chinese catalogue (.mo files are built, not kept in git)
RUN DJANGO_DEBUG=0 SECRET_KEY=build-only ALLOWED_HOSTS=build DATABASE_URL=postgres://build@localhost/build \
    python manage.py compilemessages --locale zh_Hans >/dev/null
USER trialsite
# collectstatic in production mode (hashed, compressed files); it reads settings but no database
RUN DJANGO_DEBUG=0 SECRET_KEY=build-only ALLOWED_HOSTS=build DATABASE_URL=postgres://build@localhost/build \
    python manage.py collectstatic --noinput >/dev/null
EXPOSE 8000
CMD ["gunicorn", "trialsite.wsgi", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-"]
